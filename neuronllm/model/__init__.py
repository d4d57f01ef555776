"""The model: loading by spec, where a neuron lives (hooks), interventions, fingerprints, memory and shapes."""

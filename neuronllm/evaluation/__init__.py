"""Evaluation through lm-eval: the `neuronllm` lm-eval model and the evaluate entry points."""

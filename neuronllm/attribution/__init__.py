"""Neuron attributions: integrated gradients (ig/) and the other attribution kinds, computed once per proxy.

The IG defaults live here, in a module that imports nothing, so the CLI, the settings, the engines and
the config schema's test read one definition (docs/decisions.md says why these values).
"""

IG_STEPS = 20  # m of the Riemann sum (eq. 1), the paper's
IG_LAYER_BATCH = 6  # layers whose m+1 steps share one batched backward: bounds memory

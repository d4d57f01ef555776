"""Neuron attributions: integrated gradients (ig/) and the other attribution kinds, computed once per proxy."""

"""The shared-context evaluation engine: prefix tree, prefix keys/values, continuation tries, caches."""

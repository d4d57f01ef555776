"""neuronllm: find the good and bad neurons of an LLM for a task, and control the task through them.

Importing this package is cheap (no torch): the lm-eval hook in `_lm_eval_plugin` runs at every
Python start-up through a .pth file and must not slow it down.
"""

__version__ = "0.2.0"

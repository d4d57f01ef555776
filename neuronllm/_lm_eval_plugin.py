"""What `neuronllm_lm_eval.pth` imports at every Python start-up: it installs the lm-eval hooks of
`neuronllm.lm_eval_adapter` (which imports nothing heavy: the hooks wait for lm-eval itself to load),
so that `lm_eval --model neuronllm --tasks aqua_ner` works with lm-eval 0.4.13.
Set NEURONLLM_NO_LM_EVAL_HOOK=1 to switch the hooks off.
"""

from neuronllm.lm_eval_adapter import install

install()

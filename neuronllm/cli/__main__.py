"""`python -m neuronllm.cli`: the same commands as the `neuronllm` script."""

import sys

from neuronllm.cli import main

sys.exit(main())

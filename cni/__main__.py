"""`python -m cni`: the executable door (see cni/main.py)."""
import sys

from .main import main

sys.exit(main())

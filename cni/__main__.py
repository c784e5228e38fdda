"""`python -m cni`: the executable door (see cni/main.py)."""
from .main import exit_now, main

exit_now(main())

"""`python -m studio` is the same as the `ai-anchor-studio` command."""

from studio.cli import main

raise SystemExit(main())

"""`python -m nntui`: the same as the `nntui` command."""

from nntui.cli import main

if __name__ == "__main__":  # `spawn` re-imports this module in the trainer process
    main()

"""``python -m zhnlp``: the same CLI as the ``zhnlp`` command."""
from zhnlp.cli import main

if __name__ == "__main__":
    main()

"""``python -m emulator`` runs the same CLI as ``cuadra-emulator``."""

from emulator.cli import main

if __name__ == "__main__":
    main(prog_name="cuadra-emulator")

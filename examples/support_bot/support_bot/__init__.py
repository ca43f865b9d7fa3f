"""A small, realistic client for Cuadra chats — the worked example of testing against cuadra-emulator."""

from .client import CuadraClient, CuadraError, InsufficientCredits, StreamInterrupted

__all__ = ["CuadraClient", "CuadraError", "InsufficientCredits", "StreamInterrupted"]

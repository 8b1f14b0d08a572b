"""kgwiki: a typed knowledge-graph wiki generator for AI-alignment concepts."""

__version__ = "0.1.0"

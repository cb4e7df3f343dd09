"""The pure core: domain words, the policy and everything derived from the log.

Imports only the standard library and itself (an import-linter contract checks it).
"""

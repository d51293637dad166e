"""Algorithms (ppo, sac, dqn), their networks, distributions and buffers.

protocol.py says what an algorithm and a torso provide; registry.py finds one by name or by reference.
"""

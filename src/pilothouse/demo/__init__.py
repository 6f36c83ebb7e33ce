"""Demo workspace: realistic data each domain adds, loaded by ``pilothouse demo load``."""

from pilothouse.demo.registry import DemoResult, DemoStep, demo_steps, load_demo

__all__ = ["DemoResult", "DemoStep", "demo_steps", "load_demo"]

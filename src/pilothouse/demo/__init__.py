"""Demo workspace: realistic data each domain adds, loaded by ``pilothouse demo load``."""

from pilothouse.demo.registry import DEMO_STEPS, DemoResult, DemoStep, load_demo

__all__ = ["DEMO_STEPS", "DemoResult", "DemoStep", "load_demo"]

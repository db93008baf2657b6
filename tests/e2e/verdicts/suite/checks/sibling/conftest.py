"""Configures the shared state when pytest imports it (at collection)."""
import verdicts_state

verdicts_state.FLAGS["sibling_conftest"] = True

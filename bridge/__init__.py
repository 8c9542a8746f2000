"""Everything that touches the outside world: xtquant adapters, runner, CLI, data loaders."""

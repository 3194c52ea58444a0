# Copyright (c) mmmsf contributors. All rights reserved.
"""What the entry points under ``tools/`` share: their flags, config
loading and process-group handling."""
from .launch import (adapt_to_cpu_distributed, add_common_args, build_runner,
                     destroy_process_group, enable_fault_handler,
                     init_cpu_process_group, load_config,
                     mmpretrain_merge_args)

__all__ = [
    'add_common_args', 'load_config', 'mmpretrain_merge_args',
    'adapt_to_cpu_distributed', 'init_cpu_process_group',
    'enable_fault_handler', 'destroy_process_group', 'build_runner'
]

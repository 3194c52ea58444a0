# Copyright (c) mmmsf contributors. All rights reserved.
from .algorithms import *  # noqa: F401,F403
from .generators import *  # noqa: F401,F403
from .heads import *  # noqa: F401,F403
from .memories import *  # noqa: F401,F403
from .necks import *  # noqa: F401,F403

# Copyright (c) mmmsf contributors. All rights reserved.
import os.path as osp
from setuptools import find_packages, setup


def read_requirements(name):
    path = osp.join(osp.dirname(__file__), 'requirements', name)
    with open(path) as f:
        lines = (line.split('#')[0].strip() for line in f)
        return [line for line in lines if line]


def get_version():
    scope = {}
    with open(osp.join('mmmsf', 'version.py')) as f:
        exec(compile(f.read(), 'mmmsf/version.py', 'exec'), scope)
    return scope['__version__']


setup(name='mmmsf',
      version=get_version(),
      description='Mean Shift for Self-Supervised Learning (MSF, ICCV 2021) '
      'as an OpenMMLab 2.0 extension',
      long_description=open('README.md').read(),
      long_description_content_type='text/markdown',
      packages=find_packages(exclude=('configs', 'tools', 'tests', 'docs')),
      python_requires='>=3.8',
      install_requires=read_requirements('runtime.txt'),
      extras_require=dict(tests=read_requirements('tests.txt'),
                          optional=read_requirements('optional.txt')),
      license='Apache License 2.0',
      zip_safe=False)

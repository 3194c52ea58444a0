# Copyright (c) mmmsf contributors. All rights reserved.
import os
import os.path as osp
import shutil
import sys
from setuptools import find_packages, setup

ROOT = osp.dirname(osp.abspath(__file__))
# what `mim train mmmsf CONFIG` / `mim test` look up in mmmsf/.mim
MIM_FILES = ('configs', 'tools', 'model-index.yml')


def read_requirements(name):
    """Requirement specifiers of ``requirements/<name>`` (ranges only: the
    exact pins of the quick start live in ``constraints.txt``)."""
    with open(osp.join(ROOT, 'requirements', name)) as f:
        lines = (line.split('#')[0].strip() for line in f)
        return [line for line in lines if line and not line.startswith('-')]


def get_version():
    scope = {}
    with open(osp.join(ROOT, 'mmmsf', 'version.py')) as f:
        exec(compile(f.read(), 'mmmsf/version.py', 'exec'), scope)
    return scope['__version__']


def add_mim_extension(root=ROOT, argv=None):
    """Expose ``configs/``, ``tools/`` and ``model-index.yml`` as
    ``mmmsf/.mim``, where mim looks for them (mmpretrain's packaging does
    the same): symbolic links for an editable install, copies for a wheel
    or an sdist; nothing for other setup.py commands."""
    commands = set((sys.argv if argv is None else argv)[1:])
    if commands & {'develop', 'editable_wheel'}:
        mode = 'symlink'
    elif commands & {'sdist', 'bdist_wheel', 'build', 'build_py', 'install'}:
        mode = 'copy'
    else:
        return
    mim_root = osp.join(root, 'mmmsf', '.mim')
    os.makedirs(mim_root, exist_ok=True)
    for name in MIM_FILES:
        src, dst = osp.join(root, name), osp.join(mim_root, name)
        if osp.islink(dst) or osp.isfile(dst):
            os.remove(dst)
        elif osp.isdir(dst):
            shutil.rmtree(dst)
        if mode == 'symlink':
            os.symlink(osp.relpath(src, mim_root), dst)
        elif osp.isdir(src):
            shutil.copytree(src,
                            dst,
                            ignore=shutil.ignore_patterns('__pycache__'))
        else:
            shutil.copyfile(src, dst)


if __name__ == '__main__':
    add_mim_extension()
    demo = read_requirements('demo.txt')
    optional = read_requirements('optional.txt')
    tests = read_requirements('tests.txt')
    setup(name='mmmsf',
          version=get_version(),
          description='Mean Shift for Self-Supervised Learning (MSF, ICCV '
          '2021) as an OpenMMLab 2.0 extension',
          long_description=open(osp.join(ROOT, 'README.md')).read(),
          long_description_content_type='text/markdown',
          packages=find_packages(exclude=('configs', 'tools', 'tests',
                                          'docs')),
          package_data={
              'mmmsf': [
                  '.mim/model-index.yml', '.mim/configs/**/*.py',
                  '.mim/configs/**/*.yml', '.mim/tools/**/*.py',
                  '.mim/tools/**/*.sh'
              ]
          },
          python_requires='>=3.8',
          install_requires=(read_requirements('runtime.txt') +
                            read_requirements('mminstall.txt')),
          extras_require=dict(demo=demo,
                              optional=optional,
                              tests=tests,
                              mim=read_requirements('mminstall.txt'),
                              all=demo + optional + tests),
          license='Apache License 2.0',
          zip_safe=False)

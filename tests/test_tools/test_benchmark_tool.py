# Copyright (c) mmmsf contributors. All rights reserved.
import json
import os.path as osp
import subprocess
import sys

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(REPO, 'tools', 'analysis_tools', 'benchmark_msf.py')


def _positive(value) -> bool:
    return isinstance(value, (int, float)) and value > 0


def test_benchmark_smoke_writes_json_and_markdown(tmp_path):
    out_json, out_md = tmp_path / 'bench.json', tmp_path / 'bench.md'
    subprocess.run([
        sys.executable, TOOL, '--smoke', '--device', 'cpu', '--out-json',
        str(out_json), '--out-md',
        str(out_md)
    ],
                   check=True,
                   cwd=REPO,
                   timeout=600,
                   capture_output=True)
    result = json.loads(out_json.read_text())
    for key in ('cpu', 'cores', 'device', 'torch', 'mmengine', 'mmpretrain',
                'date'):
        assert result['env'][key]
    assert result['smoke'] is True

    step = result['step_time']
    assert set(step['median_s']) == {'msf', 'byol', 'msf_topk1'}
    assert all(_positive(v) for v in step['median_s'].values())
    assert _positive(step['ratio_msf_byol'])

    rows = result['bank_search']
    assert {r['impl'] for r in rows} == {'naive', 'chunked'}
    for row in rows:
        assert _positive(row['seconds'])
        assert row['peak_extra_bytes'] >= 0
    # the chunked search stays within batch x chunk + k x dim floats
    assert all(r['within_bound'] for r in rows if r['impl'] == 'chunked')
    naive = [r['peak_extra_bytes'] for r in rows if r['impl'] == 'naive']
    assert all(_positive(v) for v in naive)

    pipe = result['pipeline']
    assert all(_positive(v) for v in pipe['images_per_s'].values())
    assert _positive(pipe['ratio_mmmsf_torchvision'])

    text = out_md.read_text()
    assert '<!-- begin benchmark: cpu-smoke -->' in text
    assert 'MSF / BYOL' in text

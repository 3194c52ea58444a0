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


def test_demo_loop_benchmark_times_variants_and_a_candidate(tmp_path):
    """Two interleaved rounds of the demo, its hook-free twin and a
    candidate setting: step times, per-round ratios and the settings."""
    out = tmp_path / 'demo.json'
    tool = osp.join(REPO, 'tools', 'analysis_tools', 'benchmark_demo.py')
    subprocess.run([
        sys.executable, tool, '--iters', '2', '--warmup', '1', '--repeats',
        '2', '--variants', 'demo', 'demo_no_hooks', '--candidate',
        'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False', '--out',
        str(out), '--cfg-options', 'train_dataloader.batch_size=16'
    ],
                   check=True,
                   cwd=REPO,
                   timeout=600,
                   capture_output=True)
    report = json.loads(out.read_text())
    assert set(report['results']) == {'demo', 'demo_no_hooks', 'candidate'}
    for result in report['results'].values():
        assert len(result['rounds']) == 2
        assert _positive(result['step_s'])
        assert all(len(r['steps']) == 2 for r in result['rounds'])
    assert report['results']['candidate']['rounds'][0]['workers'] == 0
    assert report['results']['demo']['rounds'][0]['workers'] == 2
    assert set(report['ratios']) == {'demo_no_hooks/demo', 'candidate/demo'}
    assert all(_positive(v) for v in report['ratios'].values())
    assert report['candidate'] == {
        'train_dataloader.num_workers': 0,
        'train_dataloader.persistent_workers': False
    }

# Copyright (c) mmmsf contributors. All rights reserved.
"""tools/analysis_tools/results_table.py: tuning on the validation scalar,
seeds, resume, settings reused across specs, mean ± std arithmetic and the
markdown, with training and scoring replaced by recorded fakes (the real
evaluation tools are covered by test_visualization.py's table test)."""
import importlib.util
import json
import os
import os.path as osp
import re
import shutil

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
MSF = 'configs/msf/msf_resnet18-w16_1xb128-coslr-10e_fashion-mnist.py'
MOCO = 'configs/co2/mocov2_resnet18-w16_1xb128-coslr-10e_fashion-mnist.py'
CO2 = 'configs/co2/co2_resnet18-w16_1xb128-coslr-10e_fashion-mnist.py'
DIGITS_MSF = 'configs/msf/msf_resnet18-w16_1xb128-coslr-30e_digits.py'


@pytest.fixture(scope='module')
def tool():
    spec = importlib.util.spec_from_file_location(
        'results_table',
        osp.join(ROOT, 'tools', 'analysis_tools', 'results_table.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fake_score(options):
    """The validation score a fake run logs: a function of its options
    (momentum 0.04 and alpha 1.0 win)."""
    value = dict(o.split('=') for o in options)
    score = 80.0 - 100 * abs(float(value.get('model.momentum', 0.04)) - 0.04)
    return score - abs(float(value.get('model.head.alpha', 1.0)) - 1.0)


@pytest.fixture
def fakes(tool, monkeypatch):
    """Replace training (the subprocess) and scoring; record both."""
    record = dict(trained=[], scored=[])

    def fake_run(cmd, cwd, check):
        work_dir = cmd[cmd.index('--work-dir') + 1]
        options = cmd[cmd.index('--cfg-options') + 1:]
        seed = int(options[0].split('=')[1])
        record['trained'].append((cmd[2], tuple(options[1:]), seed))
        os.makedirs(osp.join(work_dir, 'stamp', 'vis_data'))
        with open(osp.join(work_dir, 'stamp', 'vis_data', 'scalars.json'),
                  'w') as f:
            for epoch in (1, 2):
                f.write(
                    json.dumps(
                        dict(purity=0.5 +
                             0.1 * epoch, epoch=epoch, step=epoch)) + '\n')
            f.write(
                json.dumps({
                    'knn/knn_top1': fake_score(options[1:]),
                    'step': 2
                }) + '\n')
        epochs = tool.max_epochs(cmd[2], options[1:])
        open(osp.join(work_dir, f'epoch_{epochs}.pth'), 'w').close()

    def fake_evaluate(config, checkpoint, work_dir, linear_options,
                      knn_options, protocols):
        record['scored'].append((checkpoint, tuple(knn_options)))
        seed = int(linear_options[0].split('=')[1])
        base = 10.0 if checkpoint == 'random' else 50.0
        return {key: base + seed for key, _ in tool.COLUMNS}

    monkeypatch.setattr(tool.subprocess, 'run', fake_run)
    monkeypatch.setattr(tool, 'evaluate', fake_evaluate)
    return record


def write_spec(path, rows, **extra):
    lines = [
        "title = 'tiny'", 'seeds = [0, 1, 2]', "select = 'knn/knn_top1'",
        f"linear_configs = dict(linear_msf='{DIGITS_MSF}', "
        f"linear_std='{DIGITS_MSF}')",
        "eval_options = ['knn_query_dataloader.dataset.split=test']",
        f'rows = {rows!r}'
    ] + [f'{k} = {v!r}' for k, v in extra.items()]
    path.write_text('\n'.join(lines) + '\n')
    return str(path)


MAIN_ROWS = [
    dict(key='random', name='random init', config=MSF, random=True),
    dict(key='msf',
         name='MSF',
         config=MSF,
         grid=[[f'model.momentum={m}'] for m in (0.01, 0.04, 0.1)]),
    dict(key='moco',
         name='MoCo',
         config=MOCO,
         grid=[[f'model.momentum={m}'] for m in (0.01, 0.1)]),
    dict(key='co2',
         name='CO2',
         config=CO2,
         settings_from='moco',
         grid=[[f'model.head.alpha={a}'] for a in (0.1, 1.0)]),
]


def test_mean_std_arithmetic(tool):
    stat = tool.mean_std([1.0, 2.0, 3.0])
    assert stat == dict(mean=2.0, std=1.0, n=3)  # sample std (ddof 1)
    assert tool.mean_std([4.0]) == dict(mean=4.0, std=0.0, n=1)
    assert tool.fmt(dict(mean=0.6543, std=0.0123), 100) == '65.4 ± 1.2'


def test_beyond_spread(tool):

    def row(key, mean, std):
        return dict(key=key, summary=dict(a=dict(mean=mean, std=std, n=3)))

    assert tool.beyond_spread([row('x', 90, 1), row('y', 85, 1)], 'a') == 'x'
    # 90 - 3 = 87 is inside 85 + 3: not a difference
    assert tool.beyond_spread([row('x', 90, 3), row('y', 85, 3)], 'a') is None


def test_table_tunes_seeds_and_resumes(tool, fakes, tmp_path):
    spec = write_spec(tmp_path / 'main.py', MAIN_ROWS)
    work = str(tmp_path / 'work')
    result = tool.Table(spec, work).run()
    rows = {r['key']: r for r in result['rows']}
    # the grid point with the best validation score is chosen
    assert rows['msf']['options'] == ['model.momentum=0.04']
    assert rows['moco']['options'] == ['model.momentum=0.01']
    # CO2 takes MoCo's tuned momentum and tunes its own alpha
    assert rows['co2']['options'] == [
        'model.momentum=0.01', 'model.head.alpha=1.0'
    ]
    assert [s['chosen']
            for s in result['tuning']['msf']] == [False, True, False]
    # 3 + 2 + 2 tuning runs, then seeds 1 and 2 of the three trained rows:
    # the tuning run of the chosen point is the first seed's final run
    assert len(fakes['trained']) == 7 + 3 * 2
    assert len(set(fakes['trained'])) == len(fakes['trained'])
    # mean ± std over the seeds of the fake scores (base + seed)
    summary = rows['msf']['summary']['knn_1nn']
    assert summary == dict(mean=51.0, std=1.0, n=3)
    assert rows['random']['summary']['knn_1nn']['mean'] == 11.0
    # final scoring queries the test split
    assert all('knn_query_dataloader.dataset.split=test' in opts
               for _, opts in fakes['scored'])
    # a second run trains nothing (cells are reused)
    trained = len(fakes['trained'])
    again = tool.Table(spec, work).run()
    assert len(fakes['trained']) == trained
    assert again['rows'] == result['rows']


def test_interrupted_table_resumes(tool, fakes, tmp_path, monkeypatch):
    spec = write_spec(tmp_path / 'main.py', MAIN_ROWS[:2])
    work = str(tmp_path / 'work')
    real_run = tool.subprocess.run
    calls = []

    def dies_on_second(cmd, cwd, check):
        calls.append(cmd)
        if len(calls) == 2:
            raise KeyboardInterrupt
        real_run(cmd, cwd, check)

    monkeypatch.setattr(tool.subprocess, 'run', dies_on_second)
    with pytest.raises(KeyboardInterrupt):
        tool.Table(spec, work).run()
    assert len(fakes['trained']) == 1
    monkeypatch.setattr(tool.subprocess, 'run', real_run)
    tool.Table(spec, work).run()
    # the finished cell is not trained again; the interrupted one resumes
    assert len(fakes['trained']) == 3 + 2
    assert '--resume' in calls[1]


def test_settings_spec_reuses_choices(tool, fakes, tmp_path):
    main = write_spec(tmp_path / 'main.py', MAIN_ROWS)
    rows = [
        dict(key='co2',
             name='CO2 (digits)',
             config=CO2,
             options=['model.memory.size=1024'],
             settings_from='co2'),
        dict(key='k10',
             name='MSF k = 10',
             config=MSF,
             options=['model.head.topk=10'],
             settings_from='msf'),
    ]
    derived = write_spec(tmp_path / 'derived.py',
                         rows,
                         settings_spec=main,
                         extra_columns=['purity'])
    result = tool.Table(derived, str(tmp_path / 'work')).run()
    co2, k10 = result['rows']
    assert co2['options'] == [
        'model.memory.size=1024', 'model.momentum=0.01', 'model.head.alpha=1.0'
    ]
    assert k10['options'] == ['model.head.topk=10', 'model.momentum=0.04']
    # the purity column: mean of the last training epoch's records
    assert k10['summary']['purity']['mean'] == pytest.approx(0.7)
    result['extra_columns'] = ['purity']
    text = tool.markdown(result)
    assert '| MSF k = 10 | `model.head.topk=10`, `model.momentum=0.04` | 3 |' \
        in text
    assert '70.0 ± 0.0' in text
    # a monitor column is never bolded, even far beyond the spread
    ranked = dict(result,
                  rows=[
                      dict(row, summary=dict(row['summary'], purity=purity))
                      for row, purity in
                      zip(result['rows'],
                          [dict(mean=1.0, std=0.0),
                           dict(mean=0.7, std=0.01)])
                  ])
    assert '100.0 ± 0.0 |' in tool.markdown(ranked)
    assert '**100.0' not in tool.markdown(ranked)


def test_markdown_and_doc_block(tool, fakes, tmp_path):
    spec = write_spec(tmp_path / 'main.py', MAIN_ROWS[:2])
    result = tool.Table(spec, str(tmp_path / 'work')).run()
    text = tool.markdown(result)
    lines = text.splitlines()
    assert lines[0].startswith('| row | setting | seeds | linear, MSF')
    assert lines[2].startswith('| random init | config | 3 | 11.0 ± 1.0')
    # MSF leads random init by more than the spread: bold
    assert '**51.0 ± 1.0**' in lines[3]
    assert re.search(
        r'\| MSF \| `model.momentum=0.04` \| 80.0 \| 80.0 \| yes \|', text)
    doc = tmp_path / 'doc.md'
    doc.write_text('intro\n<!-- results:main -->\nold\n'
                   '<!-- /results:main -->\nend\n')
    tool.update_doc(str(doc), 'main', text)
    assert doc.read_text() == (f'intro\n<!-- results:main -->\n{text}'
                               '<!-- /results:main -->\nend\n')
    with pytest.raises(ValueError, match='no <!-- results:other -->'):
        tool.update_doc(str(doc), 'other', text)
    # --stage tune: the grid only, nothing scored on the test split
    tuned = tool.Table(spec, str(tmp_path / 'work')).run('tune')
    assert tuned['rows'] == [] and tuned['chosen']['msf'] == [
        'model.momentum=0.04'
    ]
    assert tool.markdown(tuned).startswith('Tuning (seed 0, validation')


def test_bad_specs(tool, tmp_path):
    big = [
        dict(key='a',
             name='a',
             config=MSF,
             grid=[[f'model.momentum={m}'] for m in (1, 2, 3, 4)])
    ]
    with pytest.raises(ValueError, match='grid has 4 points; the budget'):
        tool.load_spec(write_spec(tmp_path / 'big.py', big))
    orphan = [dict(key='a', name='a', config=MSF, settings_from='nope')]
    with pytest.raises(ValueError, match="unknown row 'nope'"):
        tool.load_spec(write_spec(tmp_path / 'orphan.py', orphan))
    missing = [dict(key='a', name='a', config='configs/none.py')]
    with pytest.raises(FileNotFoundError, match='config not found'):
        tool.load_spec(write_spec(tmp_path / 'missing.py', missing))
    (tmp_path / 'short.py').write_text("title = 'x'\n")
    with pytest.raises(ValueError, match='lacks seeds, select'):
        tool.load_spec(str(tmp_path / 'short.py'))


def test_ledger_resumes_without_checkpoints(tool, fakes, tmp_path):
    """A table whose cells are in the ledger trains and scores nothing,
    even where the checkpoints are gone (another machine)."""
    spec = write_spec(tmp_path / 'main.py', MAIN_ROWS[:2])
    ledger = str(tmp_path / 'cells.json')
    first = tool.Table(spec, str(tmp_path / 'work'), ledger=ledger).run()
    trained, scored = len(fakes['trained']), len(fakes['scored'])
    with open(ledger) as f:
        cells = json.load(f)
    # 3 tuning cells (the chosen one is seed 0), seeds 1, 2 and 3 random
    assert len(cells) == 3 + 2 + 3
    chosen = tool.cell_name(MSF, ['model.momentum=0.04'], 0)
    assert cells[chosen]['monitor']['knn/knn_top1'] == dict(first=80.0,
                                                            last=80.0)
    assert cells[chosen]['train']['purity'] == pytest.approx(0.7)
    assert cells[chosen]['options'] == ['model.momentum=0.04']
    shutil.rmtree(tmp_path / 'work')
    again = tool.Table(spec, str(tmp_path / 'other'), ledger=ledger).run()
    assert (len(fakes['trained']), len(fakes['scored'])) == (trained, scored)
    assert again['rows'] == first['rows']
    assert again['tuning'] == first['tuning']
    # a seed missing from the ledger is trained and scored, alone
    del cells[tool.cell_name(MSF, ['model.momentum=0.04'], 2)]
    with open(ledger, 'w') as f:
        json.dump(cells, f)
    tool.Table(spec, str(tmp_path / 'third'), ledger=ledger).run()
    assert fakes['trained'][trained:] == [(MSF, ('model.momentum=0.04', ), 2)]
    assert len(fakes['scored']) == scored + 1


def test_only_some_rows(tool, fakes, tmp_path):
    spec = write_spec(tmp_path / 'main.py', MAIN_ROWS)
    work = str(tmp_path / 'work')
    result = tool.Table(spec, work).run(only=['random'])
    # every row is tuned, only the random row is scored
    assert [r and r['key']
            for r in result['rows']] == ['random', None, None, None]
    assert all(ckpt == 'random' for ckpt, _ in fakes['scored'])
    assert len(fakes['trained']) == 3 + 2 + 2
    with pytest.raises(ValueError, match='no row nope; the rows are random'):
        tool.Table(spec, work).run(only=['nope'])

# The held-out demo AVA-Kinetics set (other hands and backgrounds, AVA-style videos plus
# Kinetics-style clips <id>_<start>_<end>), read by mmaction2's AVAKineticsDataset. Same
# model and labels as ava_demo.py, so an AVA checkpoint (or AVA prompts) is evaluated on it
# zero-shot:
#   python -m tasks_detection.demo.ava --root data/demo --sets ava_kinetics
#   python tools/test.py configs/tasks/ava_kinetics_demo.py work_dirs/ava_demo/epoch_80.pth
_base_ = ['./ava_demo.py']

data_root = 'data/demo/ava_kinetics'
anno_root = f'{data_root}/annotations'
label_file = f'{anno_root}/ava_action_list_v2.2_for_activitynet_2019.pbtxt'
ann_file_train = f'{anno_root}/ava_train_v2.2.csv'
ann_file_val = f'{anno_root}/ava_val_v2.2.csv'
exclude_file_train = f'{anno_root}/ava_train_excluded_timestamps_v2.2.csv'
exclude_file_val = f'{anno_root}/ava_val_excluded_timestamps_v2.2.csv'
frames = dict(img=f'{data_root}/rawframes')

train_dataloader = dict(
    dataset=dict(
        type='ValidatedAVAKineticsDataset',
        ann_file=ann_file_train,
        exclude_file=exclude_file_train,
        label_file=label_file,
        proposal_file=f'{anno_root}/ava_dense_proposals_train.FAIR.recall_93.9.pkl',
        data_prefix=frames,
    )
)
val_dataloader = dict(
    dataset=dict(
        train_dataloader['dataset'],
        ann_file=ann_file_val,
        exclude_file=exclude_file_val,
        proposal_file=f'{anno_root}/ava_dense_proposals_val.FAIR.recall_93.9.pkl',
    )
)
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=ann_file_val, label_file=label_file, exclude_file=exclude_file_val)
test_evaluator = val_evaluator

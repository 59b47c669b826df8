# Single-task training of ASFormer on the held-out demo Breakfast set (split 1): the model
# whose prompt-free F1 is the "Original" row of the zero-shot study, where prompts trained
# with the 50Salads demo primary are loaded into it (same ASFormer geometry and features).
#   python tools/train.py configs/tasks/breakfast_demo.py
_base_ = ['50salads_demo.py']

num_classes = 22  # data/demo/breakfast/mapping.txt
data_root = 'data/demo/breakfast'

model = dict(backbone=dict(num_classes=num_classes))
# every split: this set's root and classes
train_dataloader = val_dataloader = test_dataloader = dict(
    dataset=dict(data_root=data_root, num_classes=num_classes)
)

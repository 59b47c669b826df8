# The temporal action detector of configs/tasks/thumos14_demo.py and
# configs/tasks/real/vit_b_thumos14.py: the ActionFormer-style TemporalActionDetector over
# snippet features with Soft-NMS. Only what both sizes share: each config sets the feature
# width, classes, widths, layer and level counts, regression ranges, the padding (a multiple
# of the coarsest level's stride) and the NMS budget.
# the package that registers the model's types (and its datasets, transforms and metrics)
default_scope = 'tasks_detection'
custom_imports = dict(imports=['tasks_detection'], allow_failed_imports=False)

model = dict(
    type='TemporalActionDetector',
    dropout=0.1,
    center_radius=1.5,
    data_preprocessor=dict(type='TemporalFeaturePreprocessor'),
    test_cfg=dict(pre_nms_thresh=0.001, nms=dict(method='soft', sigma=0.5, min_score=0.001)),
)

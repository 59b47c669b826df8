"""The "recipes" of the demo action segmentation sets: classes and their grammar.

Each action is one object (a handwritten digit with its own ink colour, like a tomato is
red) doing one motion template of :data:`dlm_core.demo.MOTIONS`; a video is a recipe: a
sequence of actions in a grammar-like order (blocks that may be shuffled, optional steps,
fixed openings and endings), separated now and then by background (no object in view).

* ``50salads``: the real set's 17 action names (salad preparation), one grammar.
* ``breakfast``: six dishes (coffee, tea, cereals, juice, sandwich, fried egg), each with
  its own steps; actions are shared between dishes (``pour_milk``, ``take_cup`` ...).
* ``gtea``: the real set's 10 verbs; the object of a verb changes with the activity, so
  the class is the motion alone.

Every set has a ``background`` class (MS-TCN's default background name).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BACKGROUND = 'background'

#: Ink colour of each digit ("object"), RGB.
OBJECT_COLORS = (
    (235, 70, 60),
    (250, 210, 40),
    (60, 200, 90),
    (230, 40, 40),
    (80, 220, 60),
    (250, 180, 60),
    (200, 120, 250),
    (60, 220, 220),
    (250, 250, 250),
    (230, 90, 200),
)


@dataclass(frozen=True)
class DemoSetSpec:
    """How one demo set looks: its classes (``mapping.txt`` order), the motion of each
    action, the videos and splits, the frame rate and the durations (frames)."""

    name: str
    classes: tuple[str, ...]
    motions: dict
    videos: tuple[tuple[str, str], ...]  # (video name, activity), ordered by subject
    num_splits: int
    fps: int
    sample_rate: int
    action_frames: tuple[int, int]
    gap_frames: tuple[int, int]
    gap_probability: float
    size: int = 32

    def fold_of(self, index: int) -> int:
        """The split (0-based) whose test set holds video ``index`` (by subject)."""
        per_fold = len(self.videos) // self.num_splits
        return index // per_fold


# -- 50Salads -------------------------------------------------------------------------
SALADS_ACTIONS = {
    # name: (motion, digit)
    'cut_tomato': ('turn_cw', 3),
    'place_tomato_into_bowl': ('down', 3),
    'cut_cheese': ('turn_cw', 5),
    'place_cheese_into_bowl': ('down', 5),
    'cut_lettuce': ('turn_cw', 4),
    'place_lettuce_into_bowl': ('down', 4),
    'add_salt': ('vanish', 1),
    'add_vinegar': ('vanish', 8),
    'add_oil': ('vanish', 0),
    'add_pepper': ('vanish', 9),
    'mix_dressing': ('turn_ccw', 6),
    'peel_cucumber': ('shrink', 7),
    'cut_cucumber': ('turn_cw', 7),
    'place_cucumber_into_bowl': ('down', 7),
    'add_dressing': ('down', 6),
    'mix_ingredients': ('turn_ccw', 2),
    'serve_salad_onto_plate': ('right', 2),
}


def salad_recipe(rng: np.random.Generator, activity: str) -> list[tuple[str, int]]:
    """Ingredient blocks in any order, a dressing block somewhere between them, a fixed end."""
    blocks = []
    for ingredient in rng.permutation(['tomato', 'cheese', 'lettuce', 'cucumber']):
        steps = ['peel_cucumber'] if ingredient == 'cucumber' else []
        steps += [f'cut_{ingredient}', f'place_{ingredient}_into_bowl']
        blocks.append(steps)
    dressing = ['add_oil', 'add_vinegar'] + [
        a for a in ('add_salt', 'add_pepper') if rng.random() < 0.7
    ]
    dressing = [str(a) for a in rng.permutation(dressing)] + ['mix_dressing']
    blocks.insert(int(rng.integers(len(blocks) + 1)), dressing)
    steps = [step for block in blocks for step in block]
    steps += ['add_dressing', 'mix_ingredients', 'serve_salad_onto_plate']
    return [(step, SALADS_ACTIONS[step][1]) for step in steps]


# -- Breakfast ------------------------------------------------------------------------
BREAKFAST_ACTIONS = {
    'take_cup': ('up', 0),
    'pour_coffee': ('vanish', 1),
    'pour_milk': ('vanish', 2),
    'spoon_sugar': ('down', 3),
    'stir_coffee': ('turn_cw', 0),
    'take_bowl': ('up', 4),
    'pour_cereals': ('vanish', 5),
    'stir_cereals': ('turn_cw', 4),
    'add_teabag': ('down', 6),
    'pour_water': ('vanish', 7),
    'stir_tea': ('turn_ccw', 0),
    'cut_orange': ('turn_cw', 8),
    'squeeze_orange': ('shrink', 8),
    'take_glass': ('up', 9),
    'pour_juice': ('vanish', 9),
    'cut_bun': ('turn_cw', 6),
    'smear_butter': ('right', 6),
    'put_toppingOnTop': ('down', 5),
    'crack_egg': ('shrink', 2),
    'fry_egg': ('turn_ccw', 2),
    'put_egg2plate': ('right', 2),
}

#: Dish: steps; a step ``(name, p)`` happens with probability ``p``; a tuple of names is
#: a block whose order is shuffled.
BREAKFAST_DISHES = {
    'coffee': ['take_cup', 'pour_coffee', ('pour_milk', 0.6), ('spoon_sugar', 0.6), 'stir_coffee'],
    'tea': ['take_cup', 'add_teabag', 'pour_water', ('spoon_sugar', 0.5), 'stir_tea'],
    'cereals': ['take_bowl', ('pour_cereals', 'pour_milk'), 'stir_cereals'],
    'juice': ['cut_orange', 'squeeze_orange', 'take_glass', 'pour_juice'],
    'sandwich': ['cut_bun', 'smear_butter', 'put_toppingOnTop'],
    'friedegg': ['crack_egg', 'fry_egg', ('spoon_sugar', 0.2), 'put_egg2plate'],
}


def breakfast_recipe(rng: np.random.Generator, activity: str) -> list[tuple[str, int]]:
    steps = []
    for step in BREAKFAST_DISHES[activity]:
        if isinstance(step, str):
            steps.append(step)
        elif isinstance(step[1], float):
            if rng.random() < step[1]:
                steps.append(step[0])
        else:
            steps.extend(str(s) for s in rng.permutation(list(step)))
    return [(step, BREAKFAST_ACTIONS[step][1]) for step in steps]


# -- GTEA -----------------------------------------------------------------------------
GTEA_VERBS = {
    'take': 'up',
    'open': 'grow',
    'pour': 'vanish',
    'close': 'shrink',
    'shake': 'left',
    'scoop': 'appear',
    'stir': 'turn_cw',
    'put': 'down',
    'fold': 'turn_ccw',
    'spread': 'right',
}

#: Activity: (verb, object) steps; an object is a digit, so one verb acts on many objects.
GTEA_ACTIVITIES = {
    'Cheese': [('take', 1), ('open', 2), ('take', 3), ('put', 3), ('close', 2), ('fold', 1)],
    'Coffee': [('take', 0), ('open', 4), ('scoop', 4), ('pour', 5), ('stir', 0), ('close', 4)],
    'CofHoney': [('take', 0), ('open', 4), ('scoop', 4), ('pour', 6), ('stir', 0), ('close', 6)],
    'Hotdog': [('take', 1), ('open', 7), ('take', 7), ('put', 7), ('fold', 1), ('put', 1)],
    'Pealate': [('take', 1), ('open', 8), ('scoop', 8), ('spread', 8), ('shake', 9), ('fold', 1)],
    'Peanut': [('take', 1), ('open', 8), ('scoop', 8), ('spread', 8), ('close', 8), ('fold', 1)],
    'Tea': [('take', 0), ('open', 5), ('pour', 5), ('shake', 0), ('stir', 0), ('close', 5)],
}


def gtea_recipe(rng: np.random.Generator, activity: str) -> list[tuple[str, int]]:
    """The activity's steps; now and then a step is repeated (take, take) or dropped."""
    steps = []
    for verb, obj in GTEA_ACTIVITIES[activity]:
        draw = rng.random()
        if draw < 0.1 and verb not in ('take', 'open'):
            continue
        steps.append((verb, obj))
        if draw > 0.9:
            steps.append((verb, obj))
    return steps


def _salad_videos():
    return tuple((f'rgb-{s:02d}-{k}', 'salad') for s in range(1, 11) for k in (1, 2))


def _breakfast_videos():
    """Subject ``s`` makes four of the six dishes, so every dish is in every split."""
    dishes = list(BREAKFAST_DISHES)
    return tuple(
        (f'P{s:02d}_cam01_P{s:02d}_{dishes[(s + k) % 6]}', dishes[(s + k) % 6])
        for s in range(3, 11)
        for k in range(4)
    )


def _gtea_videos():
    return tuple((f'S{s}_{a}_C1', a) for s in range(1, 5) for a in GTEA_ACTIVITIES)


SPECS = {
    '50salads': DemoSetSpec(
        name='50salads',
        classes=(*SALADS_ACTIONS, BACKGROUND),
        motions={k: v[0] for k, v in SALADS_ACTIONS.items()},
        videos=_salad_videos(),
        num_splits=5,
        fps=30,
        sample_rate=2,
        action_frames=(16, 36),
        gap_frames=(6, 16),
        gap_probability=0.3,
    ),
    'breakfast': DemoSetSpec(
        name='breakfast',
        classes=(*BREAKFAST_ACTIONS, BACKGROUND),
        motions={k: v[0] for k, v in BREAKFAST_ACTIONS.items()},
        videos=_breakfast_videos(),
        num_splits=4,
        fps=15,
        sample_rate=1,
        action_frames=(14, 32),
        gap_frames=(5, 14),
        gap_probability=0.4,
    ),
    'gtea': DemoSetSpec(
        name='gtea',
        classes=(*GTEA_VERBS, BACKGROUND),
        motions=dict(GTEA_VERBS),
        videos=_gtea_videos(),
        num_splits=4,
        fps=15,
        sample_rate=1,
        action_frames=(12, 28),
        gap_frames=(4, 12),
        gap_probability=0.5,
    ),
}

RECIPES = {'50salads': salad_recipe, 'breakfast': breakfast_recipe, 'gtea': gtea_recipe}

"""tools/_video_io.write_mp4: the tools' mp4s, through the core's deterministic writer."""

import os

import numpy as np

from tools._video_io import iter_frames, probe_video, write_mp4


def test_odd_sides_are_padded_and_the_file_appears_whole(tmp_path):
    frames = [np.full((33, 45, 3), 40 * t, np.uint8) for t in range(4)]
    path = tmp_path / 'out' / 'clip.mp4'
    write_mp4(str(path), frames, 2.2)
    assert os.listdir(tmp_path / 'out') == ['clip.mp4']  # no partial file left behind
    info = probe_video(str(path))
    assert (info.num_frames, info.fps, info.height, info.width) == (4, 2.0, 34, 46)
    back = np.stack(list(iter_frames(str(path)))).astype(int)
    assert np.abs(back[:, :33, :45] - np.stack(frames)).max() <= 3
    assert (back[:, 33:, :] < 30).all() and (back[:, :, 45:] < 30).all()  # black padding
    again = tmp_path / 'again.mp4'
    write_mp4(str(again), frames, 2.2)
    assert path.read_bytes() == again.read_bytes()

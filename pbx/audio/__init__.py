"""Sound the firm owns: uploads and text to speech converted once (Debian's ffmpeg and
espeak-ng, never hand-written audio code) into what Asterisk plays, kept in the sounds
directory Asterisk reads (shared by volume, never copied over ARI).

    convert.py   probe and convert any audio file: mono, loudness-normalised, 8 and 16 kHz
    speech.py    Polish text to speech (espeak-ng)
    library.py   where the files live, named per version, written atomically
"""

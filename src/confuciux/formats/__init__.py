"""File formats: readers and writers for MAESTRO model files, ConfuciuX CSV files and ONNX.

These modules turn text (or an ONNX graph) into plain layer descriptions — dictionaries of
:class:`~confuciux.workload.Layer` arguments — and back; :mod:`confuciux.workload` builds the
layers.  They import nothing from the rest of the package but :mod:`confuciux.dataflow` (the directive
language, which imports nothing), so the layering stays one-way.
"""

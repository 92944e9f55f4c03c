# Colab: install what the lab needs, plots inline
!pip install -q transformers torch
%pip install -q jupytext
%matplotlib inline

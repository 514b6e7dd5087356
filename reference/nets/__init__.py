"""The networks: ε_θ(x_t, t[, y]) as a residual MLP (toy data) or a U-Net (digits), their timestep and label
embeddings, building one by class name from a manifest's config (`models`), and reading a U-Net's insides
(`network`)."""

"""The other generative families beside diffusion: the VAE of the digits (`vae`) under latent diffusion (`latent`),
and the VAE, GAN and normalising flow (`vae_mlp`, `gan`, `flow`) of the families comparison (`comparison`)."""

"""The lab's compute service: sampling and bound requests from every session, queued, batched and run once
(lab_app/server/compute/service.py), in this process or on a Dask cluster.

    service = ComputeService.from_settings(settings())
    ticket = service.submit(SampleRequest("moons", "ddpm", n=2000, seed=3))
    ticket.ahead, ticket.done, ticket.total       # the page's "2 requests ahead of yours" and progress bar
    out = ticket.value()                          # x0, the trajectory's x_t and x0_pred, seconds, batch, device
"""
from .requests import BoundRequest, SampleRequest
from .service import ComputeService, Ticket

__all__ = ["ComputeService", "Ticket", "SampleRequest", "BoundRequest"]

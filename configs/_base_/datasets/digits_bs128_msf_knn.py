# The embedded digits of ./digits_bs128_msf.py with the online k-NN monitor
# of the CPU recipes on its labelled sets.
_base_ = './digits_bs128_msf.py'

custom_hooks = [
    dict(
        type='KNNMonitorHook',
        reference_dataloader=_base_.knn_reference_dataloader,
        query_dataloader=_base_.knn_query_dataloader,
        # every 5 epochs (and at the end): each pass costs a few seconds
        interval=5),
]

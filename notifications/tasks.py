from celery import shared_task


@shared_task(acks_late=True, reject_on_worker_lost=True)
def send_email(email_id: int) -> None:
    from notifications.services import email_send

    email_send(email_id=email_id)

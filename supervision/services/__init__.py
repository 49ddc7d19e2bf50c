"""Every write of the supervision app: ``interviews`` (talks and the 约谈 workflow, attachments,
reminders) and ``records`` (problem clues, personal-matters spot checks, 述职评议 items)."""

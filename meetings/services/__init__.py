"""Writes of the joint meeting, one module per area: committee (members), meetings (agenda, notice, attendance,
minutes, decisions, action items), solicitations (征求意见), keytasks (重点工作任务清单)."""

"""Decision meetings (重大事项表决): a body's members vote secretly on its matters; set-up, freeze and minutes."""

"""Personal data: who viewed national ID numbers and dates of birth, subject-access export, retention."""

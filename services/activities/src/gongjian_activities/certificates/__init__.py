"""The volunteer-hours certificate (志愿服务时长证明): its document, its PDF, its download."""

pytest_plugins = ["gongjian_deploy.pytest_plugin"]

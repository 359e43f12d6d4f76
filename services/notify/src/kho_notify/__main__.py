from kho_platform.runner import serve

from kho_notify.app import create_app
from kho_notify.settings import NotifySettings

if __name__ == "__main__":
    settings = NotifySettings()
    serve(lambda: create_app(settings), settings)

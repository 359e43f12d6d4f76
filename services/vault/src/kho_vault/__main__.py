from kho_platform.runner import serve

from kho_vault.app import create_app
from kho_vault.settings import VaultSettings

if __name__ == "__main__":
    settings = VaultSettings()
    serve(lambda: create_app(settings), settings)

from kho_platform.runner import serve

from kho_signature.app import create_app
from kho_signature.settings import SignatureSettings

if __name__ == "__main__":
    settings = SignatureSettings()
    serve(lambda: create_app(settings), settings)

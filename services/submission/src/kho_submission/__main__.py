from kho_platform.runner import serve

from kho_submission.app import create_app
from kho_submission.settings import SubmissionSettings

if __name__ == "__main__":
    settings = SubmissionSettings()
    serve(lambda: create_app(settings), settings)

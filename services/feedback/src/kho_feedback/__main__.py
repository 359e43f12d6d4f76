from kho_platform.runner import serve

from kho_feedback.app import create_app
from kho_feedback.settings import FeedbackSettings

if __name__ == "__main__":
    settings = FeedbackSettings()
    serve(lambda: create_app(settings), settings)

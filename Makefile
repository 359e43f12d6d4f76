# The two commands a newcomer needs: `make up` (run the platform) and `make test` (run every test).
.PHONY: up down test status reset contracts

up:        ## provision on first use, start the servers and the five services, print the URLs
	@scripts/up.sh

down:      ## stop the services and the local servers
	@scripts/down.sh

status:    ## what is running
	@deploy/local/servers.sh status; scripts/services.sh status

test:      ## lint, types, unit, integration and end-to-end tests against the real local servers
	@scripts/test.sh

reset:     ## stop everything and delete the local servers' data
	@scripts/services.sh stop; deploy/local/servers.sh reset

contracts: ## regenerate the JSON Schemas and AsyncAPI documents from the code
	@uv run python -m kho_contracts.export && uv run python scripts/generate_asyncapi.py

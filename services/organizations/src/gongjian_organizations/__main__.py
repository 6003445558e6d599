from gongjian_organizations.app import main

main()
